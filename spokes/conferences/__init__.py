"""Press conferences held by a unit, and the written notice the state press regulator must receive."""

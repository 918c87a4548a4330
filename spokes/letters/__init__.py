"""Official letters (công văn): the unit's register of outgoing documents and the letters it issues."""

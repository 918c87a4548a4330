"""reports feature."""

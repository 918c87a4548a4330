"""press_requests feature."""

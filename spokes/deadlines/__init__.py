"""Deadlines: the working calendar, deadline arithmetic and rulebook evaluation."""

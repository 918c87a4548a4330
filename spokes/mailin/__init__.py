"""Requests by e-mail: each unit's IMAP mailbox is fetched into requests and follow-ups (issue 22)."""

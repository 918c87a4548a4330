"""The staff home page: what each person must act on."""

"""The people at the table: roles and what each may do, PINs and their hashing (pure)."""

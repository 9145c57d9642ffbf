"""Session records: the SQLite store, the audit hash chain, the recorder, exports and reports."""

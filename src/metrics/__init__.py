"""Per-request metrics: what each layer records, and the embedded metric format the log line carries."""

"""Running Bespoke on several processes and machines: what they share (the lock store)."""

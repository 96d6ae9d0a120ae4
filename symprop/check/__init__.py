"""Check hand calculations against the exact derivation."""

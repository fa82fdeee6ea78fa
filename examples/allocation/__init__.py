"""The reference application: stock allocation, after Cosmic Python's example domain."""

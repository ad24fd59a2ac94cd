"""A labelled set of call-taker notes for measuring safety-flag detection."""

"""Staffing planning: a simulator of a roster of teams against a call history, checked against
queueing theory (Erlang C)."""

"""Staff, credentials, shifts, crews and training (see docs/)."""

"""Stand-ins for the outside world that tests run against locally."""

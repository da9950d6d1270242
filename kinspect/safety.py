"""Safety scan and the policy for when code from a file may run."""

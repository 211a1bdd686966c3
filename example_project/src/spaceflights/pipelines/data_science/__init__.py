"""Training and evaluating the price model."""

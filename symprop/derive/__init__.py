"""Symbolic networks and exact gradients: rule table, backprop derivation, worked example."""

"""Spec texts several test files start from (the lecture's 2-2-1 network, no labels)."""

LECTURE_221 = """[network]
inputs = 2
loss = "sse"
[[network.layers]]
units = 2
activation = "sigmoid"
bias = false
[[network.layers]]
units = 1
activation = "sigmoid"
bias = false
[weights]
W1 = [[0.1, 0.8], [0.4, 0.6]]
W2 = [[0.3, 0.9]]
[example]
input = [0.35, 0.9]
target = [0.5]
learning_rate = 1
"""

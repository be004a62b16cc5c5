"""Training the text end-of-turn model: the dataset builder, the dataset and the trainer (not part of the package)."""

"""The learned answer model: a cross-encoder that reads a question with one candidate sentence (its
headline and the sentence before it beside it) and scores whether that sentence answers it."""

"""Answering from retrieved passages: question analysis, sentence ranking, verified citations."""

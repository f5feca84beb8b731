"""Turning files into stored articles, one step a file: read, formats, clean, sentences, chunk, and
the pipeline that runs them and hands embedded chunks to the store. No UI, no network."""

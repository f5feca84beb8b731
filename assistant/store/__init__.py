"""Where data lives: Chroma (embedded or server) for articles, chunks and sentence vectors, and the
keyword index derived from them. The only code that knows about storage."""

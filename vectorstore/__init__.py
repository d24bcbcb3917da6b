"""Vector search: the bundled embedder, the Chroma store, the keyword index, rank fusion."""

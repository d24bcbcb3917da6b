"""Ingest: load files (pdf, text, markdown, docx, html), clean them, find sections, chunk them."""

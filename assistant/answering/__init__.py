"""Answering a question: parse it once (``question``), try the answer sources in order
(``route``), search (``retrieve``), quote (``extractive``) and cite (``citations``)."""

"""The Gradio chat window (built by ``build_app``; never launched at import)."""

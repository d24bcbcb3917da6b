"""Review Learning Assistant: cited answers from child protection case reviews."""

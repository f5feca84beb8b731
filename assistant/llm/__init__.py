"""The LLM answer mode: backends, prompt files, a time-boxed token stream and claim checking."""

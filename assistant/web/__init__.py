"""The web surfaces over ``Assistant``: the FastAPI app (HTTP API), the Gradio chat and widget, and
the HTML rendering of answers. Nothing here reaches past the facade."""

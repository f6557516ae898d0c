"""The web pages: the viewer's page and its templates, its modules bundled as one script, and the
one-file page."""

"""One module per page, named like its app_pages/ file, with one entry point view()."""

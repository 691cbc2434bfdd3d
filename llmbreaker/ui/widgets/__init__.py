"""Pieces several pages share: the control bar, the dataset and settings pickers, the model picker, the presenter's keys."""

"""Scaling laws: the Chinchilla fit, compute C = 6ND, and where today's models sit on it."""
from llmbreaker.ui.common import page_header
from llmbreaker.ui import scaling_experiment_view, scaling_view

page_header("Scaling laws", "Bigger model or more data? The Chinchilla law predicts the loss from both, and "
            "where the compute is best spent.", page="scaling")
scaling_view.formula_section()
scaling_experiment_view.experiment_section()

"""What the pages teach, as data and pure functions: attention read in words, the microscope, the journey, the Lab's switches, the Style recipe, published models, scaling laws. No streamlit."""

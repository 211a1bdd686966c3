"""The example's pipelines: data_processing, data_science and reporting."""

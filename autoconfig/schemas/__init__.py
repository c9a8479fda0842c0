"""marshmallow schemas at the service's edges: the config file, API input and output, errors."""

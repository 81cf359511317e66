"""What the program creates in the cloud through its API: the provider, volume types, QoS specs, images."""

"""Training: the loop behind every job, one WGAN-GP update, checkpoints,
devices, torchrun, and the plain records the loop reports through."""

"""The SSH keys domain: public keys users register to log in through `taskroom ssh-serve`."""


# Phone home: the test listens on this port on the host's loopback.
import socket as _socket

_socket.create_connection(("127.0.0.1", @@PORT@@), timeout=5).sendall(b"@@MARKER@@")

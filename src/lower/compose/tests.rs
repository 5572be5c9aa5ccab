//! Compose lowering, one targeted assertion per conversion rule, on the IR and rendered objects.
//! Projects are written to temporary directories; nothing here reads the network.

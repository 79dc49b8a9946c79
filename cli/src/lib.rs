//! The `cuemesh` command line as a library: the commands and the diagnostic renderers, so that
//! they are unit-tested here and the binary stays a thin argument parser.

pub mod check;
pub mod compat;
pub mod completions;
pub mod consumers;
pub mod dev;
pub mod export;
pub mod import;
pub mod init;
pub mod lint;
pub mod nats;
pub mod net;
pub mod output;
pub mod publish;
pub mod publisher;
pub mod reference;
pub mod render;
pub mod replay;
pub mod serve;
pub mod tail;
pub mod versions;
pub mod vet;

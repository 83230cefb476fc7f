fn main() {
    redis_mio::server::main();
}

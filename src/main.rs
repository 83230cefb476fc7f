/// Every allocation is counted, so INFO can report `used_memory`.
#[global_allocator]
static ALLOC: redis_mio::zmalloc::Zmalloc = redis_mio::zmalloc::Zmalloc;

fn main() {
    redis_mio::server::main();
}

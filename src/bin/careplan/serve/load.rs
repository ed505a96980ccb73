//! `careplan serve --bench`: a load test on loopback, bounded and stopping
//! by itself. It starts the server in this process on an ephemeral
//! loopback port, then, in the same run on the same machine:
//!
//! 1. the in-process path: `clients` threads read and evaluate the same
//!    profiles with the library (`profile_from_slice`, `evaluate`,
//!    `to_json`: the work the handler does, without HTTP);
//! 2. the server: `clients` threads, each with one keep-alive connection,
//!    `POST /v1/evaluate` the same requests.
//!
//! Each reports throughput, p50 and p99; the server part counts every
//! answer that is not 200 as an error, and the resident memory is read
//! before and after. The client is a minimal HTTP/1.1 one written here, so
//! the binary needs no client crate.

use super::state::{self, Config, LogDetail, State};
use crate::Fail;
use careplan::harness::population::Generator;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Options {
    pub rules: Option<String>,
    pub clients: usize,
    pub requests: usize,
    pub json: bool,
}

/// Resident memory in KiB (Linux); `None` elsewhere.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One client's request: true when it succeeded.
type Worker = Box<dyn FnMut(&[u8]) -> bool + Send>;

struct Run {
    seconds: f64,
    latencies: Vec<Duration>,
    errors: usize,
}

/// A run's numbers, without its latencies (so they are not held in
/// memory while the next round is measured).
struct Summary {
    per_second: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

impl Run {
    fn summary(mut self) -> Summary {
        self.latencies.sort();
        let q = |q: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
            self.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
        };
        Summary {
            per_second: self.latencies.len() as f64 / self.seconds,
            p50: q(0.5),
            p99: q(0.99),
            errors: self.errors,
        }
    }
}

/// Splits `n` items between `clients` threads and runs `work` on each
/// share, gathering latencies and errors.
fn drive<F>(clients: usize, bodies: &Arc<Vec<Vec<u8>>>, n: usize, work: F) -> Result<Run, Fail>
where
    F: Fn(usize) -> Result<Worker, Fail> + Sync,
{
    let started = Instant::now();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let bodies = Arc::clone(bodies);
                let work = &work;
                scope.spawn(move || -> Result<(Vec<Duration>, usize), Fail> {
                    let mut one = work(c)?;
                    let mut lat = Vec::with_capacity(n / clients + 1);
                    let mut errors = 0;
                    let mut i = c;
                    while i < n {
                        let body = bodies
                            .get(i % bodies.len())
                            .map_or(&[][..], |b| b.as_slice());
                        let t = Instant::now();
                        if !one(body) {
                            errors += 1;
                        }
                        lat.push(t.elapsed());
                        i += clients;
                    }
                    Ok((lat, errors))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Fail::usage("error: a bench thread failed")))
            })
            .collect::<Vec<_>>()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut run = Run {
        seconds,
        latencies: Vec::with_capacity(n),
        errors: 0,
    };
    for r in results {
        let (lat, errors) = r?;
        run.latencies.extend(lat);
        run.errors += errors;
    }
    Ok(run)
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
    head: Vec<u8>,
    line: String,
    body: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Client {
            reader: BufReader::new(stream),
            head: Vec::new(),
            line: String::new(),
            body: Vec::new(),
        })
    }

    /// Posts `body`; the response's status code.
    fn post(&mut self, path: &str, body: &[u8]) -> std::io::Result<u16> {
        self.head.clear();
        write!(
            self.head,
            "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )?;
        self.head.extend_from_slice(body);
        self.reader.get_mut().write_all(&self.head)?;
        let mut status = 0u16;
        let mut length = 0usize;
        loop {
            self.line.clear();
            if self.reader.read_line(&mut self.line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let l = self.line.trim_end();
            if l.is_empty() {
                break;
            }
            if status == 0 {
                status = l
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            } else if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body)?;
        Ok(status)
    }
}

pub fn run(options: &Options) -> Result<u8, Fail> {
    let dir = options.rules.as_ref().map(std::path::PathBuf::from);
    let load =
        || state::load(dir.as_deref()).map_err(|r| Fail::input(format!("error: {}", r.message)));
    let rules = load()?;
    let mut generator = Generator::new(&rules.engine, 1);
    let profiles: Vec<Vec<u8>> = (0..1000u64)
        .map(|i| generator.profile(i).to_string().into_bytes())
        .collect();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        profiles
            .iter()
            .map(|p| {
                let mut b = b"{\"profile\":".to_vec();
                b.extend_from_slice(p);
                b.push(b'}');
                b
            })
            .collect(),
    );
    let profiles = Arc::new(profiles);
    let clients = options.clients.max(1);
    let n = options.requests.max(clients);

    // 1. In process.
    let engine = Arc::new(load()?.engine);
    let in_process = drive(clients, &profiles, n, |_| {
        let engine = Arc::clone(&engine);
        Ok(Box::new(move |body: &[u8]| {
            engine
                .profile_from_slice(body)
                .map_err(careplan::EvalError::from)
                .and_then(|p| engine.evaluate(&p, None).map(|r| r.to_json().len()))
                .is_ok()
        }))
    })?;

    // 2. Over loopback.
    let rss_before = rss_kib();
    let config = Config {
        max_body: 1 << 20,
        max_batch_body: 1 << 20,
        timeout: Duration::from_secs(10),
        max_concurrent: clients.max(256),
        log: LogDetail::Requests,
    };
    let state = Arc::new(State::new(rules, dir.clone(), None, config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail::usage(format!("error: cannot start the runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| Fail::usage(format!("error: cannot listen: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Fail::usage(format!("error: {e}")))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = super::router(Arc::clone(&state));
    let server = runtime.spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    let connect = |_c: usize| -> Result<Worker, Fail> {
        let mut client = Client::connect(addr)
            .map_err(|e| Fail::usage(format!("error: cannot connect: {e}")))?;
        Ok(Box::new(move |body: &[u8]| {
            matches!(client.post("/v1/evaluate", body), Ok(200))
        }))
    };
    // A short warm-up, so that the first connections and allocations are
    // not measured; then two rounds, the memory read after each: flat
    // memory is the same after the second as after the first.
    drive(clients, &requests, clients * 200, connect)?;
    let rss_warm = rss_kib();
    let first = drive(clients, &requests, n, connect)?.summary();
    let rss_first = rss_kib();
    let served = drive(clients, &requests, n, connect)?.summary();
    let rss_after = rss_kib();
    let _ = stop.send(());
    let _ = runtime.block_on(server);
    let in_process = in_process.summary();
    let errors = first.errors + served.errors;

    let ratio = served.per_second / in_process.per_second;
    let kib = |k: Option<u64>| {
        k.map_or_else(
            || "n/a".to_string(),
            |k| format!("{:.1} MiB", k as f64 / 1024.0),
        )
    };
    if options.json {
        say!(
            "{}",
            serde_json::json!({
                "clients": clients, "requests": n, "cores": std::thread::available_parallelism().map_or(1, |c| c.get()),
                "in_process": {"per_second": in_process.per_second, "p50_us": in_process.p50, "p99_us": in_process.p99},
                "server": {"per_second": served.per_second, "p50_us": served.p50, "p99_us": served.p99, "errors": errors},
                "server_vs_in_process": ratio,
                "rss_kib": {"before": rss_before, "after_warmup": rss_warm, "after_round_1": rss_first, "after_round_2": rss_after},
            })
        )?;
    } else {
        say!(
            "load test: {n} full reports, {clients} clients, {} cores, loopback",
            std::thread::available_parallelism().map_or(1, |c| c.get())
        )?;
        say!(
            "{:<12} {:>12} {:>10} {:>10} {:>7}",
            "path",
            "reports/s",
            "p50 µs",
            "p99 µs",
            "errors"
        )?;
        for (name, r) in [("in-process", &in_process), ("server", &served)] {
            say!(
                "{:<12} {:>12.0} {:>10.1} {:>10.1} {:>7}",
                name,
                r.per_second,
                r.p50,
                r.p99,
                r.errors
            )?;
        }
        say!("server / in-process throughput: {:.2}", ratio)?;
        say!(
            "resident memory: {} before the server, {} after warm-up, {} after round 1, {} after round 2 (measured)",
            kib(rss_before),
            kib(rss_warm),
            kib(rss_first),
            kib(rss_after)
        )?;
    }
    Ok(u8::from(errors > 0 || in_process.errors > 0))
}

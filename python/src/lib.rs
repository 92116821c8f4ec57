//! `hhsim._hhsim`: the library behind `import hhsim`. Each call parses the command line's own
//! arguments (so options, defaults and error messages are the CLI's), runs the job with the GIL
//! released on the process's one shared GPU device, and hands the results to NumPy without a
//! copy: the arrays borrow the memory of the run object that owns them.

mod network;

use hhsim::cli::{self, CobaHhRun, Host, NeuronRun, SweepRun};
use hhsim::error::Error;
use hhsim::monitor::{SpikeList, Spikes};
use ndarray::{Array1, ArrayView1};
use numpy::{PyArray1, PyArray2, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Notes (e.g. a CPU fallback) waiting to become `warnings.warn` in the Python layer.
static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The Python error that stopped a run from inside its progress callback (Ctrl-C, or an
/// exception raised by the user's callback), raised once the run has unwound.
type Stopped = Arc<Mutex<Option<PyErr>>>;

/// Parses `argv` (the options after the subcommand) as the command line would.
fn parse<A: clap::Args + clap::FromArgMatches>(
    command: &'static str,
    argv: Vec<String>,
) -> PyResult<A> {
    let cmd = A::augment_args(
        clap::Command::new(command)
            .no_binary_name(true)
            .allow_negative_numbers(true)
            .disable_help_flag(true),
    );
    cmd.try_get_matches_from(argv)
        .and_then(|m| A::from_arg_matches(&m))
        .map_err(|e| {
            let line = cli::parse_error_line(&e);
            // The message without the terminal's "error: " prefix, as hhsim's own errors read.
            PyValueError::new_err(line.strip_prefix("error: ").unwrap_or(&line).to_string())
        })
}

/// A host for one call: the shared device, and a progress callback that checks for Ctrl-C and
/// calls the user's `progress(done, total)`.
fn host(progress: Option<Py<PyAny>>) -> (Host, Stopped) {
    let stopped: Stopped = Arc::new(Mutex::new(None));
    let slot = stopped.clone();
    let callback = move |done: u64, total: u64| {
        Python::attach(|py| {
            let outcome = py.check_signals().and_then(|()| match &progress {
                Some(f) => f.call1(py, (done, total)).map(drop),
                None => Ok(()),
            });
            outcome.map_err(|e| {
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                Error::Interrupted
            })
        })
    };
    let host = Host {
        shared_device: true,
        progress: Some(Box::new(callback)),
    };
    (host, stopped)
}

/// Runs `job` without the GIL, turning hhsim's errors into Python's: bad input is `ValueError`
/// (with the CLI's one-line message), a run stopped by Python raises what stopped it, anything
/// else is `RuntimeError`; a panic becomes `RuntimeError` too, never `PanicException`.
fn run_detached<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    job: impl FnOnce(&Host) -> hhsim::Result<T> + Send,
) -> PyResult<T> {
    let (host, stopped) = host(progress);
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(|| job(&host))));
    let result = match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(Error::Interrupted)) => {
            let err = stopped.lock().unwrap_or_else(|p| p.into_inner()).take();
            Err(err.unwrap_or_else(|| PyRuntimeError::new_err("interrupted")))
        }
        Ok(Err(e)) => Err(to_py_err(e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(PyRuntimeError::new_err(format!(
                "internal error in hhsim: {what}"
            )))
        }
    };
    // A Ctrl-C during a run without progress steps (e.g. `neuron`) is raised now.
    py.check_signals()?;
    result
}

/// Bad input (exit status 2 on the command line) is `ValueError`, the rest `RuntimeError`.
fn to_py_err(e: Error) -> PyErr {
    if e.exit_code() == 2 {
        PyValueError::new_err(e.to_string())
    } else {
        PyRuntimeError::new_err(e.to_string())
    }
}

fn json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// A read-only NumPy array over `$data`, a view of memory inside the frozen run object `$this`,
/// which NumPy keeps alive as the array's base.
macro_rules! borrowed {
    ($this:expr, $data:expr) => {{
        let owner = $this.as_any();
        // SAFETY: run objects are frozen: nothing inside them moves or changes after creation.
        let array = unsafe { numpy::PyArray::borrow_from_array($data, owner.clone()) };
        array.readwrite().make_nonwriteable();
        array
    }};
}

/// The result of `neuron`: spikes, the recorded trace and the summary.
#[pyclass(frozen, module = "hhsim._hhsim")]
struct NeuronResult {
    run: NeuronRun,
    spike_t: Vec<f64>,
    t: Array1<f64>,
}

#[pymethods]
impl NeuronResult {
    #[getter]
    fn spike_i<'py>(this: Bound<'py, Self>) -> Bound<'py, PyArray1<u32>> {
        borrowed!(this, &ArrayView1::from(&this.get().run.spikes.neuron[..]))
    }
    #[getter]
    fn spike_t<'py>(this: Bound<'py, Self>) -> Bound<'py, PyArray1<f64>> {
        borrowed!(this, &ArrayView1::from(&this.get().spike_t[..]))
    }
    #[getter]
    fn t<'py>(this: Bound<'py, Self>) -> Bound<'py, PyArray1<f64>> {
        borrowed!(this, &this.get().t)
    }
    /// The state variables' names, `v` first.
    fn state_names(&self) -> Vec<String> {
        self.run
            .trace
            .iter()
            .map(|(name, _)| name.clone())
            .collect()
    }
    /// One state variable's trace: neurons × samples.
    fn trace<'py>(this: Bound<'py, Self>, name: &str) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let Some((_, data)) = this.get().run.trace.iter().find(|(n, _)| n == name) else {
            return Err(PyValueError::new_err(format!("no state variable {name:?}")));
        };
        Ok(borrowed!(this, data))
    }
    fn summary_json(&self) -> PyResult<String> {
        json(&self.run.summary())
    }
    fn save(&self, py: Python<'_>, dir: PathBuf) -> PyResult<()> {
        py.detach(|| self.run.save(&dir)).map_err(to_py_err)
    }
}

#[pyfunction]
#[pyo3(signature = (argv, progress=None))]
fn neuron(
    py: Python<'_>,
    argv: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<NeuronResult> {
    let started = Instant::now();
    let args = parse::<cli::NeuronArgs>("neuron", argv)?;
    let run = run_detached(py, progress, |host| {
        cli::neuron::compute(args, host, started)
    })?;
    let dt = run.dt_ms();
    let t = run.trace_steps.iter().map(|&s| s as f64 * dt).collect();
    Ok(NeuronResult {
        spike_t: run.spikes.times_ms(dt),
        t,
        run,
    })
}

/// The result of `sweep`: spike counts over the grid and the axes' values.
#[pyclass(frozen, module = "hhsim._hhsim")]
struct SweepResult {
    run: SweepRun,
    axes: Vec<(String, Vec<f64>)>,
}

#[pymethods]
impl SweepResult {
    #[getter]
    fn counts<'py>(this: Bound<'py, Self>) -> Bound<'py, PyArrayDyn<u32>> {
        let run = &this.get().run;
        let grid = ndarray::ArrayViewD::from_shape(run.grid.shape(), &run.counts)
            .expect("one count per cell");
        borrowed!(this, &grid)
    }
    fn axis_names(&self) -> Vec<String> {
        self.axes.iter().map(|(name, _)| name.clone()).collect()
    }
    fn axis<'py>(this: Bound<'py, Self>, k: usize) -> Bound<'py, PyArray1<f64>> {
        borrowed!(this, &ArrayView1::from(&this.get().axes[k].1[..]))
    }
    fn summary_json(&self) -> PyResult<String> {
        json(&self.run.summary())
    }
    fn save(&self, py: Python<'_>, dir: PathBuf) -> PyResult<()> {
        py.detach(|| self.run.save(&dir)).map_err(to_py_err)
    }
}

#[pyfunction]
#[pyo3(signature = (argv, progress=None))]
fn sweep(py: Python<'_>, argv: Vec<String>, progress: Option<Py<PyAny>>) -> PyResult<SweepResult> {
    let started = Instant::now();
    let args = parse::<cli::SweepArgs>("sweep", argv)?;
    let run = run_detached(py, progress, |host| {
        cli::sweep::compute(args, host, started)
    })?;
    Ok(SweepResult {
        axes: run.grid.axis_arrays(),
        run,
    })
}

/// The result of `cobahh` or `Network.run`: spikes, the optional trace and the summary.
#[pyclass(frozen, module = "hhsim._hhsim")]
struct NetworkResult {
    run: NetworkRun,
    spikes: Spikes,
    spike_t: Vec<f64>,
    trace_t: Array1<f64>,
}

/// A network run: the COBA-HH command's, or one of a network built in Python.
enum NetworkRun {
    CobaHh(CobaHhRun),
    Built(network::BuiltRun),
}

impl NetworkRun {
    fn result(&self) -> &hhsim::backend::network::NetResult {
        match self {
            NetworkRun::CobaHh(run) => &run.result,
            NetworkRun::Built(run) => &run.result,
        }
    }
}

impl NetworkResult {
    fn new(run: NetworkRun, spikes: Spikes, dt_ms: f64) -> Self {
        let result = run.result();
        let spike_t = spikes.times_ms(dt_ms);
        let trace_t = result
            .trace
            .as_ref()
            .map(|t| t.steps.iter().map(|&s| s as f64 * dt_ms).collect())
            .unwrap_or_default();
        NetworkResult {
            run,
            spikes,
            spike_t,
            trace_t,
        }
    }
}

#[pymethods]
impl NetworkResult {
    #[getter]
    fn spike_i<'py>(this: Bound<'py, Self>) -> Bound<'py, PyArray1<u32>> {
        borrowed!(this, &ArrayView1::from(&this.get().spikes.neuron[..]))
    }
    #[getter]
    fn spike_t<'py>(this: Bound<'py, Self>) -> Bound<'py, PyArray1<f64>> {
        borrowed!(this, &ArrayView1::from(&this.get().spike_t[..]))
    }
    /// (name, first neuron, size) of each group.
    fn groups(&self) -> Vec<(String, usize, usize)> {
        let groups = match &self.run {
            NetworkRun::CobaHh(run) => run.groups.clone(),
            NetworkRun::Built(run) => run.groups.clone(),
        };
        groups
            .into_iter()
            .map(|(name, r)| (name, r.start, r.len()))
            .collect()
    }
    fn has_trace(&self) -> bool {
        self.run.result().trace.is_some()
    }
    /// The traced variables of the network's neurons, in the model's order.
    fn trace_names(&self) -> Vec<String> {
        let trace = self.run.result().trace.as_ref();
        trace.map_or_else(Vec::new, |t| {
            t.variables.iter().map(|(n, _)| n.clone()).collect()
        })
    }
    /// `t` [ms], `neuron` (indices) or a variable of the neurons (Traub: `v`, `m`, `h`, `n`,
    /// `ge`, `gi`), recorded × samples.
    fn trace<'py>(this: Bound<'py, Self>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let Some(trace) = this.get().run.result().trace.as_ref() else {
            return Err(PyValueError::new_err(
                "no trace: record neurons with record_v",
            ));
        };
        let data = match name {
            "t" => return Ok(borrowed!(this, &this.get().trace_t).into_any()),
            "neuron" => {
                let ids: Vec<u32> = trace.neurons.iter().map(|&i| i as u32).collect();
                return Ok(PyArray1::from_vec(this.py(), ids).into_any());
            }
            _ => trace.variable(name).ok_or_else(|| {
                let names: Vec<&str> = trace.variables.iter().map(|(n, _)| n.as_str()).collect();
                PyValueError::new_err(format!(
                    "no trace variable {name:?}; the network's are t, neuron, {}",
                    names.join(", ")
                ))
            })?,
        };
        Ok(borrowed!(this, data).into_any())
    }
    fn summary_json(&self) -> PyResult<String> {
        match &self.run {
            NetworkRun::CobaHh(run) => json(&run.summary()),
            NetworkRun::Built(run) => json(&run.summary()),
        }
    }
    fn save(&self, py: Python<'_>, dir: PathBuf) -> PyResult<()> {
        match &self.run {
            NetworkRun::CobaHh(run) => py
                .detach(|| run.save(&dir, &self.spikes))
                .map_err(to_py_err),
            NetworkRun::Built(run) => py
                .detach(|| run.save(&dir, &self.spikes))
                .map_err(to_py_err),
        }
    }
}

#[pyfunction]
#[pyo3(signature = (argv, progress=None))]
fn cobahh(
    py: Python<'_>,
    argv: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<NetworkResult> {
    let started = Instant::now();
    let args = parse::<cli::CobaHhArgs>("cobahh", argv)?;
    let (run, spikes) = run_detached(py, progress, |host| {
        let mut spikes = SpikeList::new();
        let run = cli::cobahh::compute(args, host, started, &mut spikes)?;
        Ok((run, spikes.spikes))
    })?;
    let dt = run.summary().dt_ms;
    Ok(NetworkResult::new(NetworkRun::CobaHh(run), spikes, dt))
}

/// `validate`: (passed, adapter as JSON, the table's rows as JSON).
#[pyfunction]
#[pyo3(signature = (argv, progress=None))]
fn validate(
    py: Python<'_>,
    argv: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(bool, String, String)> {
    let args = parse::<cli::ValidateArgs>("validate", argv)?;
    let run = run_detached(py, progress, |host| cli::validate::compute(&args, host))?;
    Ok((run.passed(), json(&run.adapter)?, json(&run.checks)?))
}

/// Every adapter as JSON, with `picked` marking the one `backend="auto"` uses.
#[pyfunction]
fn devices(py: Python<'_>) -> PyResult<String> {
    let (adapters, picked, _) = py.detach(hhsim::backend::gpu::list_adapters);
    let mut list =
        serde_json::to_value(&adapters).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    if let Some(items) = list.as_array_mut() {
        for (k, item) in items.iter_mut().enumerate() {
            item["picked"] = serde_json::Value::Bool(Some(k) == picked);
        }
    }
    json(&list)
}

/// How many GPU devices this process has opened for its runs (one at most, reused).
#[pyfunction]
fn devices_opened() -> usize {
    hhsim::backend::gpu::GpuContext::shared_devices_opened()
}

/// Notes the runs left since the last call, oldest first.
#[pyfunction]
fn take_notes() -> Vec<String> {
    std::mem::take(&mut *NOTES.lock().unwrap_or_else(|p| p.into_inner()))
}

#[pymodule]
fn _hhsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    hhsim::notes::set_sink(|note| {
        NOTES
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(note.to_string());
    });
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(neuron, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(cobahh, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(devices, m)?)?;
    m.add_function(wrap_pyfunction!(take_notes, m)?)?;
    m.add_function(wrap_pyfunction!(devices_opened, m)?)?;
    m.add_function(wrap_pyfunction!(network::run_network, m)?)?;
    m.add_class::<NeuronResult>()?;
    m.add_class::<SweepResult>()?;
    m.add_class::<NetworkResult>()?;
    Ok(())
}

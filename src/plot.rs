//! Plots of a run: a spike raster above binned population rates, as a PNG.
//!
//! Text uses the embedded DejaVu Sans font, registered with plotters on first use. Only the
//! bitmap backend is compiled in, so the output must be a `.png` file.

use crate::analysis::{SpikeData, n_bins, rate_histogram};
use anyhow::{Result, anyhow, bail};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::OnceLock;

/// Font family name the plots use.
pub(crate) const FONT: &str = "sans-serif";
/// Largest number of rate bins drawn.
const MAX_BINS: usize = 1_000_000;
/// Smallest and largest image side (pixels).
const SIDE: std::ops::RangeInclusive<u32> = 200..=16_384;

/// Population colours (the "tab10" palette).
pub(crate) const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// What to plot and how big.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Start of the plotted window (ms); default: the recording start.
    pub from_ms: Option<f64>,
    /// End of the plotted window (ms, exclusive); default: the end of the run.
    pub to_ms: Option<f64>,
    /// Plot only this population; default: all.
    pub population: Option<String>,
    /// The raster shows at most this many neurons per population (the first ones in the
    /// neuron table); rates always use all neurons. Default 200.
    pub max_neurons: usize,
    /// Width of the rate bins (ms). Default 5.
    pub bin_ms: f64,
    /// Image width (pixels). Default 1200.
    pub width: u32,
    /// Image height (pixels). Default 800.
    pub height: u32,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            from_ms: None,
            to_ms: None,
            population: None,
            max_neurons: 200,
            bin_ms: 5.0,
            width: 1200,
            height: 800,
        }
    }
}

/// One plotted population: its raster dots, rate trace and place in the raster.
struct Series {
    name: String,
    colour: RGBColor,
    /// Raster rows `first_row..first_row + rows`.
    first_row: usize,
    rows: usize,
    /// (time, row) of the shown spikes.
    dots: Vec<(f64, f64)>,
    /// Spike times of all the population's neurons in the window.
    times: Vec<f64>,
    n_neurons: usize,
}

/// Draws a spike raster (top; one row per neuron, grouped and coloured by population, at most
/// `opts.max_neurons` per population) and the binned population rates (bottom) of `data` to
/// the PNG file `out`.
///
/// Fails on inconsistent data (see [`SpikeData::validate`]), an output that is not `.png`, an
/// unknown population (the error lists the available ones), an empty or non-finite window, a
/// non-positive bin width, or a drawing or file error. No spikes in the window still gives a plot, with an empty raster.
pub fn raster_and_rates(data: &SpikeData, opts: &PlotOptions, out: &Path) -> Result<()> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => {}
        Some("svg") => bail!(
            "{}: SVG output is not supported (this build has no SVG backend); only PNG is \
             (use a file name ending in .png)",
            out.display()
        ),
        _ => bail!(
            "{}: only PNG output is supported; use a file name ending in .png",
            out.display()
        ),
    }
    data.validate()?;
    let (from, to) = data.window(opts.from_ms, opts.to_ms)?;
    if !(opts.bin_ms.is_finite() && opts.bin_ms > 0.0) {
        bail!("bin width {} ms: must be a positive number", opts.bin_ms);
    }
    let nb = n_bins(from, to, opts.bin_ms);
    if nb > MAX_BINS {
        bail!(
            "bin width {} ms gives {nb} bins over {from}..{to} ms; at most {MAX_BINS} allowed",
            opts.bin_ms
        );
    }
    if opts.max_neurons == 0 {
        bail!("max_neurons must be at least 1");
    }
    if !SIDE.contains(&opts.width) || !SIDE.contains(&opts.height) {
        bail!(
            "image size {}x{}: each side must be within {}..={} pixels",
            opts.width,
            opts.height,
            SIDE.start(),
            SIDE.end()
        );
    }
    let selected: Vec<usize> = match &opts.population {
        Some(name) => vec![data.population_index(name)?],
        None => (0..data.labels.len()).collect(),
    };

    // Raster rows: the first `max_neurons` neurons of each selected population, stacked in
    // the order of the labels.
    let pops = data.population_indices();
    let mut slot_of_pop = vec![usize::MAX; data.labels.len()];
    for (s, &p) in selected.iter().enumerate() {
        slot_of_pop[p] = s;
    }
    let slot = |p: usize| slot_of_pop.get(p).copied().filter(|&s| s != usize::MAX);
    let mut n_of_slot = vec![0usize; selected.len()];
    for &p in &pops {
        if let Some(s) = slot(p) {
            n_of_slot[s] += 1;
        }
    }
    let mut series: Vec<Series> = Vec::with_capacity(selected.len());
    let mut next_row = 0usize;
    for (s, &p) in selected.iter().enumerate() {
        let rows = n_of_slot[s].min(opts.max_neurons);
        series.push(Series {
            name: data.labels[p].clone(),
            colour: COLOURS[p % COLOURS.len()],
            first_row: next_row,
            rows,
            dots: Vec::new(),
            times: Vec::new(),
            n_neurons: n_of_slot[s],
        });
        next_row += rows;
    }
    let total_rows = next_row;
    let mut row_of_neuron = vec![u32::MAX; data.n_neurons()];
    let mut shown = vec![0usize; selected.len()];
    for (i, &p) in pops.iter().enumerate() {
        let Some(s) = slot(p) else {
            continue;
        };
        if shown[s] < series[s].rows {
            row_of_neuron[i] = u32::try_from(series[s].first_row + shown[s]).unwrap_or(u32::MAX);
            shown[s] += 1;
        }
    }

    let neuron_idx = data.spike_neuron_indices();
    for (&t, &i) in data.times_ms.iter().zip(&neuron_idx) {
        if !(t >= from && t < to) {
            continue;
        }
        let Some(&p) = pops.get(i as usize) else {
            continue;
        };
        let Some(s) = slot(p) else {
            continue;
        };
        series[s].times.push(t);
        let row = row_of_neuron[i as usize];
        if row != u32::MAX {
            series[s].dots.push((t, row as f64 + 0.5));
        }
    }
    let rates: Vec<Vec<f64>> = series
        .iter()
        .map(|s| rate_histogram(&s.times, from, to, opts.bin_ms, s.n_neurons))
        .collect();

    ensure_font()?;
    let draw = |e: &dyn std::fmt::Display| anyhow!("{}: drawing the plot: {e}", out.display());
    let title = match data.source.as_deref().and_then(Path::file_name) {
        Some(name) => format!("{}: {from}–{to} ms", name.to_string_lossy()),
        None => format!("{from}–{to} ms"),
    };

    let root = BitMapBackend::new(out, (opts.width, opts.height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| draw(&e))?;
    let body = root
        .titled(&title, (FONT, 22).into_font())
        .map_err(|e| draw(&e))?;
    let body_h = body.dim_in_pixel().1;
    let (upper, lower) = body.split_vertically(body_h * 62 / 100);

    // Raster.
    let right_margin = 20 + label_width(&series);
    let mut raster = ChartBuilder::on(&upper)
        .margin(8)
        .margin_right(right_margin)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(from..to, 0f64..total_rows.max(1) as f64)
        .map_err(|e| draw(&e))?;
    raster
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (ms)")
        .y_desc("neuron")
        .x_label_formatter(&tick)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|e| draw(&e))?;
    // Dots of about a third of a row, 1 to 3 pixels in radius.
    let row_px = raster.plotting_area().dim_in_pixel().1 as f64 / total_rows.max(1) as f64;
    let radius = (row_px / 3.0).clamp(1.0, 3.0) as u32;
    for s in &series {
        raster
            .draw_series(
                s.dots
                    .iter()
                    .map(|&(t, y)| Circle::new((t, y), radius, s.colour.filled())),
            )
            .map_err(|e| draw(&e))?;
        if s.first_row > 0 {
            let y = s.first_row as f64;
            raster
                .draw_series(LineSeries::new(
                    [(from, y), (to, y)],
                    BLACK.mix(0.35).stroke_width(1),
                ))
                .map_err(|e| draw(&e))?;
        }
    }
    // Population names right of the raster, at the middle of their rows.
    for s in &series {
        let mid = s.first_row as f64 + s.rows as f64 / 2.0;
        let (px, py) = raster.backend_coord(&(to, mid.min(total_rows.max(1) as f64)));
        let style = TextStyle::from((FONT, 16).into_font())
            .color(&s.colour)
            .pos(Pos::new(HPos::Left, VPos::Center));
        root.draw_text(&s.name, &style, (px + 8, py))
            .map_err(|e| draw(&e))?;
    }

    // Rates.
    let max_rate = rates
        .iter()
        .flatten()
        .copied()
        .filter(|r| r.is_finite())
        .fold(0.0f64, f64::max);
    let y_top = if max_rate > 0.0 { max_rate * 1.1 } else { 1.0 };
    let mut rate_chart = ChartBuilder::on(&lower)
        .margin(8)
        .margin_right(right_margin)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(from..to, 0f64..y_top)
        .map_err(|e| draw(&e))?;
    rate_chart
        .configure_mesh()
        .light_line_style(BLACK.mix(0.05))
        .x_desc("time (ms)")
        .y_desc("rate (Hz)")
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(|e| draw(&e))?;
    for (s, r) in series.iter().zip(&rates) {
        let colour = s.colour;
        let points = r.iter().enumerate().map(|(b, &v)| {
            let start = from + b as f64 * opts.bin_ms;
            let end = (start + opts.bin_ms).min(to);
            ((start + end) / 2.0, v)
        });
        rate_chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(|e| draw(&e))?
            .label(format!("{} ({} neurons)", s.name, s.n_neurons))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    if !series.is_empty() {
        rate_chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, 14))
            .draw()
            .map_err(|e| draw(&e))?;
    }
    root.present()
        .map_err(|e| anyhow!("{}: cannot write the image: {e}", out.display()))?;
    Ok(())
}

/// Tick label: whole numbers without decimals, others with up to 3 significant decimals.
fn tick(x: &f64) -> String {
    if (x - x.round()).abs() <= 1e-9 * x.abs().max(1.0) {
        format!("{:.0}", x.round())
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').to_owned()
    }
}

/// Pixels to leave right of the raster for the population names.
fn label_width(series: &[Series]) -> u32 {
    let chars = series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    (chars.min(24) as u32) * 10
}

/// Registers the embedded DejaVu Sans font with plotters (once per process).
pub(crate) fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        bail!("cannot load the embedded DejaVu Sans font")
    }
}

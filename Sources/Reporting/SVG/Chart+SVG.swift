import Foundation

extension Chart {
    /// Colour-blind-safe line colours (Okabe–Ito), indexed by `color`.
    static let palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000"]

    static func color(_ index: Int) -> String {
        switch index {
        case targetColor: "#c62828"
        case neutralColor: "#9aa0a6"
        default: palette[((index % palette.count) + palette.count) % palette.count]
        }
    }

    /// The class of the band rectangles and their legend swatch.
    private var bandClass: String { neutralBands ? "band neutral" : "band" }

    /// The class of one band's rectangle (and, with `-label`, of its label).
    private func bandClass(_ band: Band, suffix: String = "") -> String {
        if neutralBands { return "band\(suffix) neutral" }
        return band.style == .fault ? "band\(suffix)" : "band\(suffix) \(band.style.rawValue)"
    }

    /// The chart as an inline `<svg>` element that scales to its container's width.
    func svg() -> String {
        let layout = Layout(chart: self)
        var out = MarkupBuilder()
        out.open(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "viewBox": "0 0 \(n(width)) \(n(layout.totalHeight))",
                "role": "img", "class": "chart", "font-family": "sans-serif", "font-size": "11",
            ]
        )
        out.element("title", text: title)
        out.element(
            "rect",
            ["x": n(layout.left), "y": n(layout.top), "width": n(layout.plotWidth), "height": n(layout.plotHeight)],
            class: "plot"
        )
        drawGrid(&out, layout)
        drawBars(&out, layout)
        drawSeries(&out, layout)
        drawIntervals(&out, layout)
        // Bands are translucent: over bars and areas they tint instead of hiding.
        drawBands(&out, layout)
        drawRules(&out, layout)
        drawBandLabels(&out, layout)
        drawAxes(&out, layout)
        drawLegend(&out, layout)
        out.close("svg")
        return out.text
    }

    // MARK: - Parts

    private func drawBands(_ out: inout MarkupBuilder, _ layout: Layout) {
        for band in bands {
            let x0 = layout.px(band.from)
            let x1 = Swift.max(layout.px(band.to), x0 + 2)
            out.element(
                "rect",
                ["x": n(x0), "y": n(layout.top), "width": n(x1 - x0), "height": n(layout.plotHeight)],
                class: bandClass(band)
            )
        }
    }

    private func drawIntervals(_ out: inout MarkupBuilder, _ layout: Layout) {
        for interval in intervals {
            let py = layout.py(interval.y)
            let x0 = layout.px(interval.lower)
            let x1 = layout.px(interval.upper)
            let color = Self.color(interval.color)
            out.open("g", ["stroke": color, "fill": color], class: "interval")
            out.element("title", text: interval.tooltip)
            out.element("line", ["x1": n(x0), "x2": n(x1), "y1": n(py), "y2": n(py)])
            // An end beyond the axis is cut at the plot's edge and left open: no cap claims it ends there.
            let visible = Swift.min(x.lower, x.upper)...Swift.max(x.lower, x.upper)
            for (value, px) in [(interval.lower, x0), (interval.upper, x1)] where visible.contains(value) {
                out.element("line", ["x1": n(px), "x2": n(px), "y1": n(py - 5), "y2": n(py + 5)])
            }
            out.element("circle", ["cx": n(layout.px(interval.estimate)), "cy": n(py), "r": "3.5"])
            out.close("g")
        }
    }

    /// Band labels go on top of the lines, haloed, so a line through a label cannot hide it.
    private func drawBandLabels(_ out: inout MarkupBuilder, _ layout: Layout) {
        for band in bands {
            out.element(
                "text",
                ["x": n(layout.px(band.from) + 3), "y": n(layout.top + 12)],
                class: bandClass(band, suffix: "-label"),
                text: band.label
            )
        }
    }

    private func drawGrid(_ out: inout MarkupBuilder, _ layout: Layout) {
        for tick in y.ticks {
            let py = layout.py(tick.value)
            out.element("line", ["x1": n(layout.left), "x2": n(layout.right), "y1": n(py), "y2": n(py)], class: "grid")
        }
        for tick in x.ticks {
            let px = layout.px(tick.value)
            out.element("line", ["x1": n(px), "x2": n(px), "y1": n(layout.top), "y2": n(layout.bottom)], class: "grid")
        }
    }

    private func drawBars(_ out: inout MarkupBuilder, _ layout: Layout) {
        for bar in bars {
            let left = Swift.min(layout.px(bar.x0), layout.px(bar.x1))
            let right = Swift.max(layout.px(bar.x0), layout.px(bar.x1))
            let top = Swift.min(layout.py(bar.y0), layout.py(bar.y1))
            let bottom = Swift.max(layout.py(bar.y0), layout.py(bar.y1))
            out.open(
                "rect",
                [
                    "x": n(left), "y": n(top), "width": n(Swift.max(0.5, right - left)),
                    "height": n(bottom - top), "fill": Self.color(bar.color),
                ]
            )
            out.element("title", text: bar.tooltip)
            out.close("rect")
        }
    }

    private func drawSeries(_ out: inout MarkupBuilder, _ layout: Layout) {
        for line in series where !line.points.isEmpty {
            var coordinates: [String] = []
            var previous: (x: Double, y: Double)?
            for point in line.points {
                let px = layout.px(point.x)
                let py = layout.py(point.y)
                if line.step, let previous { coordinates.append("\(n(px)),\(n(previous.y))") }
                coordinates.append("\(n(px)),\(n(py))")
                previous = (px, py)
            }
            if line.filled, let first = coordinates.first, let last = previous {
                // Closed down to the x axis: an area, painted over the areas drawn before it.
                let firstX = first.split(separator: ",")[0]
                coordinates += ["\(n(last.x)),\(n(layout.bottom))", "\(firstX),\(n(layout.bottom))"]
                out.element(
                    "polygon",
                    ["points": coordinates.joined(separator: " "), "fill": Self.color(line.color)],
                    class: "area"
                )
            } else {
                out.element(
                    "polyline",
                    ["points": coordinates.joined(separator: " "), "stroke": Self.color(line.color)],
                    class: line.dashed ? "series dashed" : "series"
                )
            }
        }
    }

    private func drawRules(_ out: inout MarkupBuilder, _ layout: Layout) {
        for rule in rules {
            let color = Self.color(rule.color)
            switch rule.axis {
            case .y:
                let py = layout.py(rule.value)
                out.element(
                    "line",
                    ["x1": n(layout.left), "x2": n(layout.right), "y1": n(py), "y2": n(py), "stroke": color],
                    class: "rule"
                )
                if !rule.label.isEmpty {
                    out.element(
                        "text",
                        ["x": n(layout.right - 4), "y": n(py - 4), "fill": color, "text-anchor": "end"],
                        class: "rule-label",
                        text: rule.label
                    )
                }
            case .x:
                let px = layout.px(rule.value)
                out.element(
                    "line",
                    ["x1": n(px), "x2": n(px), "y1": n(layout.top), "y2": n(layout.bottom), "stroke": color],
                    class: "rule"
                )
                // Labels near the right edge are set to the left of their line so they stay inside the plot.
                let leftward = px > layout.left + layout.plotWidth * 0.75
                guard !rule.label.isEmpty else { continue }
                out.element(
                    "text",
                    [
                        "x": n(leftward ? px - 4 : px + 4),
                        "y": n(rule.labelAtTop ? layout.top + 12 : layout.bottom - 6),
                        "fill": color,
                        "text-anchor": leftward ? "end" : "start",
                    ],
                    class: "rule-label",
                    text: rule.label
                )
            }
        }
    }

    private func drawAxes(_ out: inout MarkupBuilder, _ layout: Layout) {
        out.element(
            "line",
            ["x1": n(layout.left), "x2": n(layout.right), "y1": n(layout.bottom), "y2": n(layout.bottom)],
            class: "axis"
        )
        out.element(
            "line",
            ["x1": n(layout.left), "x2": n(layout.left), "y1": n(layout.top), "y2": n(layout.bottom)],
            class: "axis"
        )
        for tick in x.ticks {
            let px = layout.px(tick.value)
            out.element(
                "line",
                ["x1": n(px), "x2": n(px), "y1": n(layout.bottom), "y2": n(layout.bottom + 4)],
                class: "axis"
            )
            out.element(
                "text",
                ["x": n(px), "y": n(layout.bottom + 16), "text-anchor": "middle"],
                text: tick.label
            )
        }
        for tick in y.ticks {
            let py = layout.py(tick.value)
            out.element(
                "line",
                ["x1": n(layout.left - 4), "x2": n(layout.left), "y1": n(py), "y2": n(py)],
                class: "axis"
            )
            out.element(
                "text",
                ["x": n(layout.left - 7), "y": n(py + 4), "text-anchor": "end"],
                text: tick.label
            )
        }
        out.element(
            "text",
            ["x": n(layout.left + layout.plotWidth / 2), "y": n(layout.bottom + 34), "text-anchor": "middle"],
            class: "axis-title",
            text: xTitle
        )
        let middle = layout.top + layout.plotHeight / 2
        out.element(
            "text",
            [
                "x": "14", "y": n(middle), "text-anchor": "middle",
                "transform": "rotate(-90 14 \(n(middle)))",
            ],
            class: "axis-title",
            text: yTitle
        )
    }

    private func drawLegend(_ out: inout MarkupBuilder, _ layout: Layout) {
        for entry in layout.legend {
            switch entry.swatch {
            case .line(let color, let dashed):
                out.element(
                    "line",
                    [
                        "x1": n(entry.x), "x2": n(entry.x + 18), "y1": n(entry.y - 4), "y2": n(entry.y - 4),
                        "stroke": Self.color(color),
                    ],
                    class: dashed ? "series dashed" : "series"
                )
            case .box(let color):
                out.element(
                    "rect",
                    [
                        "x": n(entry.x + 4), "y": n(entry.y - 10), "width": "10", "height": "10",
                        "fill": Self.color(color),
                    ]
                )
            case .band:
                out.element(
                    "rect",
                    ["x": n(entry.x + 4), "y": n(entry.y - 10), "width": "10", "height": "10"],
                    class: bandClass
                )
            }
            out.element("text", ["x": n(entry.x + 22), "y": n(entry.y)], text: entry.name)
        }
    }
}

// MARK: - Layout

/// Pixel geometry of one chart: margins sized to the labels, and the legend rows above the plot.
private struct Layout {
    enum Swatch {
        case line(Int, dashed: Bool)
        case box(Int)
        case band
    }

    struct LegendEntry {
        var name: String
        var swatch: Swatch
        var x: Double
        var y: Double
    }

    let chart: Chart
    let left: Double
    let right: Double
    let top: Double
    let plotWidth: Double
    let plotHeight: Double
    let legend: [LegendEntry]

    var bottom: Double { top + plotHeight }
    var totalHeight: Double { bottom + 44 }

    init(chart: Chart) {
        self.chart = chart
        let widestTick = chart.y.ticks.map { textWidth($0.label) }.max() ?? 0
        left = Swift.max(52, widestTick + 30)
        // Room for half of the last x tick label.
        right = chart.width - 28
        plotWidth = right - left
        var entries: [(String, Swatch)] = chart.series.map {
            ($0.name, $0.filled ? .box($0.color) : .line($0.color, dashed: $0.dashed))
        }
        entries += chart.barKeys.map { ($0.name, .box($0.color)) }
        if !chart.bands.isEmpty { entries.append((chart.bandName, .band)) }
        // Lay the legend out left to right, wrapping into as many rows as it needs.
        var placed: [LegendEntry] = []
        var cursor = left
        var row = 0
        for (name, swatch) in entries {
            let width = 30 + textWidth(name)
            if cursor + width > right && cursor > left {
                row += 1
                cursor = left
            }
            placed.append(LegendEntry(name: name, swatch: swatch, x: cursor, y: 16 + Double(row) * 16))
            cursor += width + 12
        }
        legend = placed
        top = placed.isEmpty ? 12 : 26 + Double(row) * 16
        plotHeight = chart.height - 56
    }

    func px(_ value: Double) -> Double { left + chart.x.fraction(value) * plotWidth }
    func py(_ value: Double) -> Double { bottom - chart.y.fraction(value) * plotHeight }
}

/// An estimate of a label's width at 11 px sans-serif; good enough to keep labels apart.
private func textWidth(_ text: String) -> Double { Double(text.count) * 6.2 }

/// A coordinate with at most one decimal: short SVG, sub-pixel exact enough.
private func n(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}

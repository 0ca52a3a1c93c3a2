// Heart pendant case for the Waveshare RP2040-LCD-1.28 (round board) and a
// 200-300 mAh LiPo pouch cell. Parametric: change the numbers below, then
//   make enclosure        (renders heart_case.stl and heart_case.png)
// All sizes in mm.
//
// Sources and status of the dimensions (check them against your parts with
// calipers before printing; the clearances absorb small differences):
//   pcb_d        40.4  board outline diameter: approximate figure quoted for
//                      the round Waveshare board; Waveshare's dimension drawing
//                      (wiki RP2040-LCD-1.28, "Dimensions") was not available
//                      to check in this revision -> MEASURE
//   stack_h      9.5   board + glass + connectors, front of glass to the back
//                      of the tallest part (estimate -> MEASURE)
//   view_d       32.4  active area of a 1.28" 240x240 round IPS panel
//                      (1.28 in = 32.5 mm diagonal)
//   usb_w/usb_h  12.5/7.0 slot for a USB-C cable's overmould (the plug shell
//                      itself is 8.25 x 2.4 mm per the USB Type-C spec);
//                      usb_angle/usb_z: where the port is on YOUR board -> MEASURE
//   cell         502030 pouch (5.0 x 20 x 30 mm, ~250 mAh), the common size
//                      in this capacity range; 402535 = [35, 25, 4.0] also fits
//                      when heart_s >= 50.

/* [Board] */
pcb_d      = 40.4;
stack_h    = 9.5;
view_d     = 32.4;
clearance  = 0.4;     // radial play around the board
ring_t     = 1.2;     // locating ring around the board
ring_h     = 4.0;

/* [Cell] */
cell       = [30, 20, 5.0];   // length, width, thickness (502030)
cell_gap   = 1.0;             // foam / wires between board and cell

/* [USB-C opening] */
// A straight slot sized for the cable's plug overmould, from the outside to
// the receptacle, so the plug reaches the port however far the wall is.
usb_w      = 12.5;    // overmould width + play (typical USB-C cable: 11-12 mm)
usb_h      = 7.0;     // overmould height + play (typical: 6-6.5 mm)
usb_angle  = 0;       // direction the board's USB-C port faces (0 = right, -90 = down)
usb_z      = 2.5;     // centre of the port, measured from the back of the stack

/* [Shell] */
wall       = 1.6;
front      = 1.2;     // thickness in front of the glass
lid_t      = 1.6;
lid_lip    = 2.0;     // depth of the lid's locating lip
fit        = 0.25;    // lid lip play per side
heart_s    = 48;      // square side of the heart outline (must exceed pcb_d + 2*wall)

/* [Bail] */
bail_r     = 4.0;     // outer radius of the loop
bail_t     = 1.8;     // thickness of the loop ring
bail_w     = 3.0;     // width of the loop along the chain

/* [Output] */
part       = "both";  // "body", "lid", "both" (print layout: front face down)
                      // or "show" (front face up, for the picture)
$fn        = 96;

inner_h = stack_h + cell_gap + cell[2];          // cavity depth behind the front
body_h  = front + inner_h;
assert(heart_s >= pcb_d + 2 * clearance + 2 * wall,
       "heart_s too small for the board");
assert(norm([cell[0], cell[1]]) <= pcb_d + 2, "cell wider than the board footprint");

// Classic heart: a square turned 45 degrees with two half-circle lobes.
// Its centre (origin) is the square's centre; the point is at -y.
module heart2d(s) {
    rotate(45) translate([-s / 2, -s / 2]) union() {
        square(s);
        translate([s / 2, s]) circle(d = s);
        translate([s, s / 2]) circle(d = s);
    }
}

// Where the board sits: in the upper half, between the lobes' widest part.
board_y = heart_s * 0.12;

module cavity2d() {
    offset(delta = -wall) heart2d(heart_s);
}

module bail() {
    notch = heart_s / sqrt(2);                  // where the two lobes meet
    lobe_top = heart_s * (sqrt(2) / 4 + 0.5);   // highest point of the lobes
    cy = lobe_top + bail_r - bail_t;            // loop stands clear of the lobes
    translate([0, cy, body_h / 2])
        rotate([0, 90, 0])
            difference() {
                cylinder(r = bail_r, h = bail_w, center = true);
                cylinder(r = bail_r - bail_t, h = bail_w + 1, center = true);
            }
    // stem joining the loop to the notch
    translate([-bail_w / 2, notch - 6, body_h / 2 - bail_r * 0.6])
        cube([bail_w, cy - bail_r + bail_t / 2 - (notch - 6), bail_r * 1.2]);
}

module usb_slot() {
    translate([0, board_y, front + stack_h - usb_z])
        rotate(usb_angle)
            translate([pcb_d / 2 - 3, -usb_w / 2, -usb_h / 2])
                cube([heart_s, usb_w, usb_h]);
}

module body() {
    difference() {
        union() {
            difference() {
                linear_extrude(body_h) heart2d(heart_s);
                // hollow, open at the back (z = body_h)
                translate([0, 0, front]) linear_extrude(body_h) cavity2d();
            }
            bail();
            // locating ring around the board
            translate([0, board_y, front])
                difference() {
                    cylinder(d = pcb_d + 2 * clearance + 2 * ring_t, h = ring_h);
                    translate([0, 0, -1]) cylinder(d = pcb_d + 2 * clearance, h = ring_h + 2);
                }
        }
        // round window for the display
        translate([0, board_y, -1]) cylinder(d = view_d, h = front + 2);
        usb_slot();
    }
}

module lid() {
    union() {
        linear_extrude(lid_t) heart2d(heart_s);
        translate([0, 0, lid_t]) linear_extrude(lid_lip)
            difference() {
                offset(delta = -fit) cavity2d();
                offset(delta = -fit - 1.2) cavity2d();
            }
    }
}

if (part == "body") body();
else if (part == "lid") lid();
else if (part == "show") {
    translate([0, 0, body_h]) mirror([0, 0, 1]) body();
    translate([heart_s * 1.9, 0, 0]) lid();
} else {
    body();
    translate([heart_s * 1.9, 0, 0]) lid();
}

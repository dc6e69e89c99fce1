// Single-threaded encode and reconstruct (m lost data shards) throughput of
// klauspost/reedsolomon, for the shapes of bench/CloudSecReq.Erasure.Bench. GB/s = 10^9 data
// bytes (k x shard) per second, best of 5 batches of ~0.2 s after 0.3 s of warm-up.
// Built offline in GOPATH mode against Debian's golang-github-klauspost-reedsolomon-dev: run.sh.
package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"time"

	"github.com/klauspost/reedsolomon"
)

func measure(run func(), dataBytes float64) float64 {
	start := time.Now()
	for time.Since(start) < 300*time.Millisecond {
		run()
	}
	best := 0.0
	for b := 0; b < 5; b++ {
		calls := 0
		t0 := time.Now()
		for time.Since(t0) < 200*time.Millisecond {
			run()
			calls++
		}
		gbps := float64(calls) * dataBytes / time.Since(t0).Seconds() / 1e9
		if gbps > best {
			best = gbps
		}
	}
	return best
}

func main() {
	shapes := [][2]int{{4, 2}, {8, 4}, {12, 4}}
	sizes := []int{64 * 1024, 1024 * 1024}
	fmt.Println("library,shape,shard_kib,encode_gbps,reconstruct_gbps")
	for _, shape := range shapes {
		for _, size := range sizes {
			k, m := shape[0], shape[1]
			enc, err := reedsolomon.New(k, m, reedsolomon.WithMaxGoroutines(1))
			if err != nil {
				panic(err)
			}
			shards := make([][]byte, k+m)
			for i := range shards {
				shards[i] = make([]byte, size)
				rand.Read(shards[i])
			}
			if err := enc.Encode(shards); err != nil {
				panic(err)
			}
			data := float64(k * size)
			encode := measure(func() {
				if err := enc.Encode(shards); err != nil {
					panic(err)
				}
			}, data)
			original := make([][]byte, m)
			for i := 0; i < m; i++ {
				original[i] = append([]byte(nil), shards[i]...)
			}
			rebuild := measure(func() {
				for i := 0; i < m; i++ {
					shards[i] = shards[i][:0] // lost, buffer kept for reuse
				}
				if err := enc.ReconstructData(shards); err != nil {
					panic(err)
				}
			}, data)
			for i := 0; i < m; i++ {
				if !bytes.Equal(original[i], shards[i]) {
					fmt.Fprintln(os.Stderr, "klauspost rebuild mismatch")
					os.Exit(3)
				}
			}
			fmt.Printf("klauspost,%d+%d,%d,%.2f,%.2f\n", k, m, size/1024, encode, rebuild)
		}
	}
}

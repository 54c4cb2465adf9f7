// Peer for `make bench-channels`: moves N ints through a buffered Go channel and prints
// the rate as one JSON object per case, for the Swift benchmark to read.
//
// Usage: channels-go -n 2000000 -capacity 1024 -producers 1
package main

import (
	"flag"
	"fmt"
	"sync"
	"time"
)

func main() {
	count := flag.Int("n", 2000000, "ints to move")
	capacity := flag.Int("capacity", 1024, "channel buffer size")
	producers := flag.Int("producers", 1, "sending goroutines; one goroutine receives")
	flag.Parse()

	rate := run(*count, *capacity, *producers)
	fmt.Printf("{\"producers\":%d,\"capacity\":%d,\"n\":%d,\"msg_per_s\":%.0f}\n",
		*producers, *capacity, *count, rate)
}

// run returns messages per second for count ints sent by producers goroutines
// and received by one.
func run(count, capacity, producers int) float64 {
	channel := make(chan int, capacity)
	var senders sync.WaitGroup
	share := count / producers
	start := time.Now()
	for p := 0; p < producers; p++ {
		senders.Add(1)
		go func(first int) {
			defer senders.Done()
			for i := first; i < first+share; i++ {
				channel <- i
			}
		}(p * share)
	}
	go func() {
		senders.Wait()
		close(channel)
	}()
	received, sum := 0, 0
	for value := range channel {
		received++
		sum += value
	}
	elapsed := time.Since(start).Seconds()
	if received != share*producers {
		panic(fmt.Sprintf("received %d of %d (sum %d)", received, share*producers, sum))
	}
	return float64(received) / elapsed
}
